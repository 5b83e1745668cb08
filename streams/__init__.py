"""The Faust worker: Kafka messages in, validated rows to the store, offsets committed after."""
