check does-not-exist.yaml
