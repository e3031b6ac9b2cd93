"""The sandbox: an emulated Google Cloud staging project, served on loopback.

It speaks the same wire protocols as Google (gRPC for Run, Secret Manager and
Logging; HTTP + mutual TLS for Cloud SQL) so the real client libraries and our real
adapters run against it unchanged. It never imports our adapters, nor textual.
"""
