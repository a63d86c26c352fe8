#!/usr/bin/env python3
"""Calls a process served by Baton over AMQP, as any AMQP 0-9-1 client can, here with pika.

The request is a SOAP envelope published to the service's queue, with `reply_to` naming an
exclusive reply queue and a `correlation_id`; Baton answers on that queue with the same
correlation id. The SOAP action, when given, travels in the `SOAPJMS_soapAction` header.

    pip install pika
    python3 call.py amqp://guest:guest@127.0.0.1:5672/%2f QUEUE BODY_XML [ACTION]

Prints the reply envelope; exits 1 on a SOAP fault, 2 when no reply came in time.
"""

import sys
import uuid

import pika

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
TIMEOUT_SECONDS = 30


def call(url, queue, body, action=None):
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.confirm_delivery()
    reply_queue = channel.queue_declare(queue="", exclusive=True, auto_delete=True).method.queue
    correlation_id = str(uuid.uuid4())
    envelope = f'<s:Envelope xmlns:s="{SOAP11}"><s:Body>{body}</s:Body></s:Envelope>'
    channel.basic_publish(
        exchange="",
        routing_key=queue,
        body=envelope.encode("utf-8"),
        properties=pika.BasicProperties(
            content_type="text/xml; charset=utf-8",
            delivery_mode=2,
            reply_to=reply_queue,
            correlation_id=correlation_id,
            message_id=correlation_id,
            headers={"SOAPJMS_soapAction": action} if action else None,
        ),
        mandatory=True,
    )
    for method, properties, reply in channel.consume(
        reply_queue, auto_ack=True, inactivity_timeout=TIMEOUT_SECONDS
    ):
        if method is None:
            break
        if properties.correlation_id == correlation_id:
            connection.close()
            return reply.decode("utf-8")
    connection.close()
    return None


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    reply = call(*sys.argv[1:])
    if reply is None:
        print("no reply", file=sys.stderr)
        sys.exit(2)
    print(reply)
    sys.exit(1 if ":Fault" in reply else 0)


if __name__ == "__main__":
    main()
