check base.yaml httproute-service-types.yaml
