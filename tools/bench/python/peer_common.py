"""Shared by the Python peers: boto3 clients as a Python Lambda function would create them.

The endpoint override comes from AWS_ENDPOINT_URL (boto3 honours it). S3 Control puts the account
id into the host name; under an override the peers send it to the URL as given, as mediaops does.
"""
import os

import boto3


def client(service):
    c = boto3.client(service)
    if service == "s3control" and os.environ.get("AWS_ENDPOINT_URL"):
        from urllib.parse import urlsplit

        base = urlsplit(os.environ["AWS_ENDPOINT_URL"])

        def keep_host(request, **_):
            parts = urlsplit(request.url)
            request.url = parts._replace(scheme=base.scheme, netloc=base.netloc).geturl()

        c.meta.events.register("before-send.s3-control", keep_host)
    return c
