from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "huifang.workspace"
    label = "workspace"
