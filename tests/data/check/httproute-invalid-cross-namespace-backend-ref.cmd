check base.yaml httproute-invalid-cross-namespace-backend-ref.yaml
