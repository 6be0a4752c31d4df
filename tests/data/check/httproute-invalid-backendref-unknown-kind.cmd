check base.yaml httproute-invalid-backendref-unknown-kind.yaml
