"""The emulator's live backend (`--machines nspawn`): instances that are real
systemd-nspawn machines and load balancers that really forward requests.

Everything this package creates on the host carries the `rr` prefix of
`vpcnet.PREFIX` so that a sweep after a crash finds it by name and removes only
what the emulator made.
"""
