"""No views: the example only migrates and runs the contract tests."""

urlpatterns: list = []
