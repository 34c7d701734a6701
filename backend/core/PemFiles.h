#pragma once

#include <QList>
#include <QSslCertificate>
#include <QSslKey>
#include <QString>
#include <optional>

// PEM certificates and unencrypted private keys from files, for every TLS option of the agent
// and the dashboard (etcd client certificates, the feed's server certificate), so they all
// accept the same key types and say the same thing when a file is wrong. `what` names the file
// in the error, e.g. "the feed certificate" or "etcd client key".
namespace PemFiles {

// At least one certificate, or nullopt and `error` ("... holds no PEM certificate").
std::optional<QList<QSslCertificate>> certificates(const QString &path, const QString &what,
                                                   QString *error);
// An RSA, EC or DSA key, or nullopt and `error`.
std::optional<QSslKey> privateKey(const QString &path, const QString &what, QString *error);

} // namespace PemFiles
