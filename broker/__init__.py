"""The event side's shared part: event schema, topology, connections and the confirming publisher."""
