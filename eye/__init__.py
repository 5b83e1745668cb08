"""The top floor: the `eye` command, the SDK and the wiring of the processes."""
