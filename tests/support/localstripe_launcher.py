#!/usr/bin/env python3
"""Runs localstripe (a stateful fake of Stripe's API) for paygraph's tests.

Stock localstripe listens on every interface and pickles its state to one fixed file under
/tmp that every instance on the machine shares. This launcher binds 127.0.0.1 only and gives
the instance its own state file, so test runs never see each other's objects, and a fake
stopped and started again by a test remembers what it charged.

It also makes the fake take what real Stripe takes and paygraph sends when a PaymentIntent is
confirmed: `off_session` (a renewal) and `return_url` (where 3-D Secure returns the customer;
the fake gives no redirect, so it is dropped). Nothing else is changed.

Usage: localstripe_launcher.py --port PORT --state FILE
"""

import argparse
import pickle
import socket

from aiohttp import web

import localstripe.resources as resources


def use_state_file(path):
    def load(store):
        try:
            with open(path, "rb") as f:
                old = pickle.load(f)
        except FileNotFoundError:
            return
        store.clear()
        store.update(old)

    def dump(store):
        with open(path, "wb") as f:
            pickle.dump(store, f, protocol=pickle.HIGHEST_PROTOCOL)

    resources.Store.try_load_from_disk = load
    resources.Store.dump_to_disk = dump


def take_what_stripe_takes_at_confirm():
    confirm = resources.PaymentIntent._api_confirm.__func__

    def patched(cls, id, off_session=None, return_url=None, **kwargs):
        return confirm(cls, id, **kwargs)

    resources.PaymentIntent._api_confirm = classmethod(patched)
    # The route table holds the function it was given: point it at the patched one.
    for i, (method, url, func) in enumerate(resources.extra_apis):
        if url == "/v1/payment_intents/{id}/confirm":
            resources.extra_apis[i] = (method, url, resources.PaymentIntent._api_confirm)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state", required=True)
    args = parser.parse_args()

    use_state_file(args.state)
    take_what_stripe_takes_at_confirm()
    resources.store.try_load_from_disk()
    # Imported last: it builds its routes from the patched functions when imported.
    from localstripe.server import app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    web.run_app(app, sock=sock, access_log=None, print=None)


if __name__ == "__main__":
    main()
