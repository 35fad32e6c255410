"""The event side's shared part: event schema now; publishing through RabbitMQ comes next."""
