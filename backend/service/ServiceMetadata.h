#pragma once

#include <QJsonObject>
#include <QMap>
#include <QSet>
#include <QString>
#include <QStringList>

// The SERVICE_* settings of one container as seen by one of its ports (registrator's
// serviceMetaData): Config.Env first, then Config.Labels, so a label wins over the same env key.
// Keys are lower-cased without the prefix; SERVICE_<port>_<key> applies only to that port and
// beats SERVICE_<key> whatever the order. Entries that do not start with SERVICE_ are never read
// into anything (env often carries secrets).
struct ServiceMetadata {
    QMap<QString, QString> values;
    QSet<QString> fromPort; // keys that came from a SERVICE_<port>_<key> entry

    // config is the inspect "Config" object; exposedPort the container-side port, e.g. "6379".
    static ServiceMetadata parse(const QJsonObject &config, const QString &exposedPort);

    // registrator's mapDefault: a missing or empty value gives "".
    QString value(const QString &key) const { return values.value(key); }
    bool isFromPort(const QString &key) const { return fromPort.contains(key); }
};

// Splits on commas not preceded by a backslash ("\," is a literal comma), drops empty parts and
// keeps the written order (registrator's recParseEscapedComma returned them reversed).
QStringList splitEscapedComma(const QString &text);
