#pragma once

#include <QString>

// Registrator-compatible log output: "2006/01/02 15:04:05 message" on stderr, one line each.
namespace Log {
// Routes qDebug/qInfo/qWarning/qCritical through the timestamped format.
void install();
// "cluster: message" for the category "portolan.cluster"; other categories unchanged.
QString prefixed(const char *category, const QString &message);
// Formats one line (exposed for tests).
QString format(const QString &message);
// Hides feed tokens and Authorization header values inside a message.
QString redact(QString text);
} // namespace Log
