check base.yaml httproute-reference-grant.yaml
