from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Benchmark tooling; an app only so that `manage.py seed_bulk` exists."""

    name = "bench"
    verbose_name = "Benchmarks"
