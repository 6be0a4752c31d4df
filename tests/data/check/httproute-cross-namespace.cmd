check base.yaml httproute-cross-namespace.yaml
