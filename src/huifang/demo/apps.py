from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data and the load benchmark's data: built through every area's services,
    so this app sits above all of them and nothing in the product imports it."""

    name = "huifang.demo"
    label = "demo"
