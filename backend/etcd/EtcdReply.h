#pragma once

#include "etcd/EtcdClient.h"

#include <QString>

class EtcdConnection;

// One answer from one etcd endpoint, EtcdClient's per-attempt half: it turns the outcome of an
// exchange on an EtcdConnection into an EtcdResponse whose error is one sentence naming the
// endpoint. What happens next (failover, re-authentication) stays with the client.
namespace EtcdReply {
// The finished exchange as a response; takes the connection's body. path and certFile only
// shape error messages, maxBytes the "too large" one.
EtcdResponse read(EtcdConnection &connection, const QString &endpoint, qint64 maxBytes,
                  const QString &path, const QString &certFile);
// No complete answer within timeoutMs.
EtcdResponse timedOut(const QString &endpoint, int timeoutMs);
} // namespace EtcdReply
