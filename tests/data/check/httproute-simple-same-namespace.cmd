check base.yaml httproute-simple-same-namespace.yaml
