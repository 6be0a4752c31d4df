check base.yaml httproute-invalid-nonexistent-backendref.yaml
