"""The GraphQL API over aiohttp: schema, resolvers over store/, HTTP and WebSocket transports."""
