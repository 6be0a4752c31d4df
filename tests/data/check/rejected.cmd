check rejected.yaml
