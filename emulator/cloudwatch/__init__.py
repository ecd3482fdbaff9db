"""CloudWatch in the emulator: metrics the emulator itself publishes, alarms that evaluate."""
