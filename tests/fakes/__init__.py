"""Local stand-ins for the services the bot talks to, for tests and benchmarks: the in-memory
Bot API (``local_api``) and the same behind HTTP on 127.0.0.1 (``botapi_server``)."""
