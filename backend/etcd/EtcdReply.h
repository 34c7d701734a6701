#pragma once

#include "etcd/EtcdClient.h"

#include <QByteArray>
#include <QString>
#include <memory>

class QNetworkReply;

// One reply from one etcd endpoint, EtcdClient's per-attempt half: guard() bounds it in time
// and size and notes the TLS facts Qt reports on the side; read() turns the finished reply into
// an EtcdResponse whose error is one sentence naming the endpoint. What happens next (failover,
// re-authentication) stays with the client.
namespace EtcdReply {
// Arms reply with a timeout and, when maxBytes > 0, a cap on its body. The returned buffer
// gathers the body as it arrives; hand it to read() once the reply has finished.
std::shared_ptr<QByteArray> guard(QNetworkReply *reply, int timeoutMs, qint64 maxBytes);
// The finished reply as a response. path and certFile only shape error messages.
EtcdResponse read(QNetworkReply *reply, const QString &endpoint, QByteArray &gathered,
                  qint64 maxBytes, const QString &path, const QString &certFile);
// True when the body was refused for being larger than maxBytes.
bool wasTooLarge(const QNetworkReply *reply);
} // namespace EtcdReply
