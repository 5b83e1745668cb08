"""The Kafka edge: every producer, consumer and admin client of The Eye is made here, with the
shared settings; the other packages take their clients and Kafka's types from this package."""
