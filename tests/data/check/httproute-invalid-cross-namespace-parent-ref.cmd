check base.yaml httproute-invalid-cross-namespace-parent-ref.yaml
