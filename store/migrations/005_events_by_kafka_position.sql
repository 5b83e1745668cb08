-- Where each event was read, indexed: the API's subscriptions fetch the rows of a committed
-- batch by the (partition, offset) ranges its notification names (store/notify.py).
CREATE INDEX events_kafka_position ON events (kafka_partition, kafka_offset);
