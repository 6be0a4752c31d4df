check base.yaml httproute-hostname-intersection.yaml
