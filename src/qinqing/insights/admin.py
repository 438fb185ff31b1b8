from qinqing.insights import dashboard_admin  # noqa: F401  (ranking weights, display tokens)
