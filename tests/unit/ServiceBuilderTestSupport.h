#pragma once

// Setup shared by the ServiceBuilder tests (tst_servicebuilder_build, _hostile): inspect JSON
// captured from a real dockerd (tests/data/docker/inspect/), patched a few fields at a time,
// agent flags as a short string, and a service written as
// "<id> <name> <address> [<tags>] {<attributes>}". Header-only.

#include "service/ServiceBuilder.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QStringList>

inline QJsonObject loadFixture(const QString &name)
{
    QFile f(QStringLiteral(PORTOLAN_TEST_DATA "/docker/inspect/%1.json").arg(name));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", qPrintable(f.fileName()));
    return QJsonDocument::fromJson(f.readAll()).object();
}

// Sets (or with value "DELETE" removes) the member at a ':'-separated path; value is JSON text.
inline QJsonObject patched(QJsonObject o, const QStringList &path, const QJsonValue &value)
{
    if (path.size() == 1) {
        if (value.isUndefined())
            o.remove(path.first());
        else
            o.insert(path.first(), value);
        return o;
    }
    o.insert(path.first(),
             patched(o.value(path.first()).toObject(), path.mid(1), value)); // makes objects
    return o;
}

inline QJsonObject applyPatches(QJsonObject o, const QStringList &patches)
{
    for (const QString &p : patches) {
        const int eq = p.indexOf(QLatin1Char('='));
        const QString json = p.mid(eq + 1);
        QJsonValue v(QJsonValue::Undefined);
        if (json != QLatin1String("DELETE")) {
            const QJsonDocument d = QJsonDocument::fromJson("[" + json.toUtf8() + "]");
            if (!d.isArray())
                qFatal("bad patch JSON %s", qPrintable(p));
            v = d.array().first();
        }
        o = patched(o, p.left(eq).split(QLatin1Char(':')), v);
    }
    return o;
}

inline ServiceOptions parseFlags(const QString &flags)
{
    ServiceOptions o;
    o.hostname = QStringLiteral("vm");
    o.resolvedHostIp = QStringLiteral("192.0.2.10");
    for (const QString &f : flags.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
        const QString value = f.section(QLatin1Char('='), 1);
        if (f == QLatin1String("internal"))
            o.internal = true;
        else if (f == QLatin1String("explicit"))
            o.explicitOnly = true;
        else if (f.startsWith(QLatin1String("ip=")))
            o.hostIp = value;
        else if (f.startsWith(QLatin1String("label=")))
            o.useIpFromLabel = value;
        else if (f.startsWith(QLatin1String("resolved=")))
            o.resolvedHostIp = value;
        else if (f.startsWith(QLatin1String("hostname=")))
            o.hostname = value;
        else
            qFatal("unknown flag %s", qPrintable(f));
    }
    return o;
}

inline QString describe(const ServiceDefinition &s)
{
    QStringList attrs;
    for (auto it = s.attributes.begin(); it != s.attributes.end(); ++it)
        attrs << it.key() + QLatin1Char('=') + it.value();
    return QStringLiteral("%1 %2 %3 [%4] {%5}")
        .arg(s.id, s.name, s.address(), s.tags.join(QLatin1Char(',')),
             attrs.join(QLatin1Char(',')));
}
