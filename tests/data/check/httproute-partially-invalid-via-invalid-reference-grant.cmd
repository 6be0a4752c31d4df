check base.yaml httproute-partially-invalid-via-invalid-reference-grant.yaml
