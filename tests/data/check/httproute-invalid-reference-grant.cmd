check base.yaml httproute-invalid-reference-grant.yaml
