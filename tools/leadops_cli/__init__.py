"""leadops_cli: the operator's command line (`leadops`) for a leadops API. Dev-only tooling:
never packaged into the Lambda layer or deployed."""
