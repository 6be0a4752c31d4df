check base.yaml grpcroute-listener-hostname-matching.yaml
