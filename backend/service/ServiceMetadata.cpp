#include "service/ServiceMetadata.h"

#include <QJsonArray>

namespace {

const QString kPrefix = QStringLiteral("SERVICE_");

// Go's strconv.Atoi accepts an optional sign and decimal digits.
bool looksLikeInteger(const QString &s)
{
    int i = 0;
    if (!s.isEmpty() && (s.at(0) == QLatin1Char('+') || s.at(0) == QLatin1Char('-')))
        i = 1;
    if (i >= s.size())
        return false;
    for (; i < s.size(); ++i) {
        if (s.at(i) < QLatin1Char('0') || s.at(i) > QLatin1Char('9'))
            return false;
    }
    return true;
}

void apply(ServiceMetadata &meta, const QString &name, const QString &value, const QString &port)
{
    if (!name.startsWith(kPrefix))
        return;
    const QString key = name.mid(kPrefix.size()).toLower();
    if (meta.fromPort.contains(key))
        return; // a port-specific entry already set it
    const int underscore = key.indexOf(QLatin1Char('_'));
    if (underscore >= 0 && looksLikeInteger(key.left(underscore))) {
        if (key.left(underscore) != port)
            return; // another port's setting
        const QString portKey = key.mid(underscore + 1);
        meta.values.insert(portKey, value);
        meta.fromPort.insert(portKey);
        return;
    }
    meta.values.insert(key, value);
}

} // namespace

ServiceMetadata ServiceMetadata::parse(const QJsonObject &config, const QString &exposedPort)
{
    ServiceMetadata meta;
    const QJsonArray env = config.value(QStringLiteral("Env")).toArray(); // null -> empty
    for (const QJsonValue &entry : env) {
        const QString kv = entry.toString();
        const int eq = kv.indexOf(QLatin1Char('='));
        if (eq < 0)
            continue; // "NAME" without a value is not metadata
        apply(meta, kv.left(eq), kv.mid(eq + 1), exposedPort);
    }
    const QJsonObject labels = config.value(QStringLiteral("Labels")).toObject();
    for (auto it = labels.begin(); it != labels.end(); ++it) {
        if (it.value().isString())
            apply(meta, it.key(), it.value().toString(), exposedPort);
    }
    return meta;
}

QStringList splitEscapedComma(const QString &text)
{
    QStringList parts;
    QString current;
    for (int i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (c != QLatin1Char(',')) {
            current.append(c);
            continue;
        }
        if (i > 0 && text.at(i - 1) == QLatin1Char('\\')) {
            current.chop(1); // "\," is a literal comma
            current.append(c);
            continue;
        }
        if (!current.isEmpty())
            parts.append(current);
        current.clear();
    }
    if (!current.isEmpty())
        parts.append(current);
    return parts;
}
