"""The ground floor every other package stands on: settings, the root error, waits, caches."""
