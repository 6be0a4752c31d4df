check --json conflict.yaml
