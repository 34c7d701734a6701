#include "feed/FeedApi.h"

#include "cluster/ClusterState.h"
#include "cluster/KeyTree.h"
#include "feed/FeedProtocol.h"

#include <QJsonArray>
#include <algorithm>

namespace {

QString value(const QUrlQuery &query, const QString &key)
{
    return query.queryItemValue(key, QUrl::FullyDecoded);
}

template <typename Records> QJsonArray toArray(const Records &records)
{
    QJsonArray array;
    for (const auto &record : records)
        array.append(record.toJson());
    return array;
}

FeedReply etcdFault(const EtcdError &error)
{
    const int status = error.kind == EtcdError::Kind::Timeout ? 504 : 502;
    return FeedReply::error(status,
                            QStringLiteral("etcd could not be read: %1").arg(error.message));
}

// 403 for a key or prefix the feed does not show.
FeedReply outOfScope(const KeyScope &scope, const QString &what)
{
    return FeedReply::error(403, QStringLiteral("%1 is outside what this feed shows: keys under %2")
                                     .arg(what.left(256), scope.describe()));
}

// The directories between `query.prefix` and the roots below it, as one page of the tree.
QJsonObject pathTo(const KeyScope &scope, const KeyTreeQuery &query, qint64 revision)
{
    QStringList keys;
    for (const QString &root : scope.roots) {
        if (!root.startsWith(query.prefix) || root == query.prefix)
            continue;
        const qsizetype slash = root.indexOf(QLatin1Char('/'), query.prefix.size());
        const QString key = root.left(slash + 1);
        if (!keys.contains(key) && (query.after.isEmpty() || key > query.after))
            keys.append(key);
    }
    std::sort(keys.begin(), keys.end());
    QJsonArray children;
    for (const QString &key : keys) {
        KeyTreeEntry entry;
        entry.name = key.mid(query.prefix.size(), key.size() - query.prefix.size() - 1);
        entry.key = key.toUtf8();
        entry.dir = true;
        children.append(entry.toJson());
    }
    return {{QStringLiteral("prefix"), query.prefix},
            {QStringLiteral("revision"), revision},
            {QStringLiteral("children"), children},
            {QStringLiteral("more"), false}};
}

} // namespace

FeedReply FeedReply::error(int status, const QString &message)
{
    return {status, {{QStringLiteral("error"), message}}};
}

namespace FeedApi {

QJsonObject snapshot(const ClusterState &state)
{
    return {{QStringLiteral("protocol"), FeedProtocol::Version},
            {QStringLiteral("revision"), state.revision()},
            {QStringLiteral("hosts"), toArray(state.hosts())},
            {QStringLiteral("services"), toArray(state.services())},
            {QStringLiteral("events"), toArray(state.events())},
            {QStringLiteral("balancers"), toArray(state.balancers())}};
}

QJsonObject hosts(const ClusterState &state)
{
    return {{QStringLiteral("revision"), state.revision()},
            {QStringLiteral("hosts"), toArray(state.hosts())}};
}

FeedReply services(const ClusterState &state, const QUrlQuery &query)
{
    const QString host = value(query, QStringLiteral("host"));
    const QString name = value(query, QStringLiteral("name"));
    QJsonArray array;
    const QList<ServiceRecord> records =
        query.hasQueryItem(QStringLiteral("host")) ? state.servicesOnHost(host) : state.services();
    for (const ServiceRecord &service : records) {
        if (query.hasQueryItem(QStringLiteral("name")) && service.name != name)
            continue;
        array.append(service.toJson());
    }
    return {200,
            {{QStringLiteral("revision"), state.revision()}, {QStringLiteral("services"), array}}};
}

FeedReply events(const ClusterState &state, const QUrlQuery &query)
{
    quint64 after = 0;
    if (query.hasQueryItem(QStringLiteral("after"))) {
        bool ok = false;
        after = value(query, QStringLiteral("after")).toULongLong(&ok);
        if (!ok)
            return FeedReply::error(400, QStringLiteral("after must be an event sequence number"));
    }
    QJsonArray array;
    for (const ClusterEvent &event : state.events()) {
        if (event.seq > after)
            array.append(event.toJson());
    }
    return {200,
            {{QStringLiteral("revision"), state.revision()}, {QStringLiteral("events"), array}}};
}

bool treeQuery(const QUrlQuery &query, KeyTreeQuery *out, FeedReply *error)
{
    KeyTreeQuery parsed;
    parsed.prefix = query.hasQueryItem(QStringLiteral("prefix"))
                        ? value(query, QStringLiteral("prefix"))
                        : QStringLiteral("/");
    if (query.hasQueryItem(QStringLiteral("limit"))) {
        bool ok = false;
        parsed.limit = value(query, QStringLiteral("limit")).toInt(&ok);
        if (!ok || parsed.limit < 1 || parsed.limit > 1000) {
            *error = FeedReply::error(400, QStringLiteral("limit must be a number from 1 to 1000"));
            return false;
        }
    }
    parsed.after = value(query, QStringLiteral("after"));
    if (!parsed.after.isEmpty() && !parsed.after.startsWith(parsed.prefix)) {
        *error = FeedReply::error(400, QStringLiteral("after must be a key under the prefix"));
        return false;
    }
    *out = parsed;
    return true;
}

KeyTreeProvider keyTreeProvider(KeyTree *tree, QObject *context, KeyScope scope,
                                const ClusterState *state)
{
    return [tree, context, scope, state](const KeyTreeQuery &query, FeedReplyCallback reply) {
        if (!scope.allowsAll() && !scope.contains(query.prefix)) {
            if (!scope.leadsTo(query.prefix))
                return reply(outOfScope(scope, query.prefix));
            return reply({200, pathTo(scope, query, state ? state->revision() : 0)});
        }
        tree->list(
            query.prefix.toUtf8(), query.after.toUtf8(), query.limit, context,
            [reply](const KeyTreePage &page) {
                reply(page.error.isError() ? etcdFault(page.error) : FeedReply{200, page.toJson()});
            });
    };
}

KeyValueProvider keyValueProvider(KeyTree *tree, QObject *context, KeyScope scope)
{
    return [tree, context, scope](const QString &key, FeedReplyCallback reply) {
        if (!scope.allowsAll() && !scope.contains(key))
            return reply(outOfScope(scope, key));
        tree->get(key.toUtf8(), context, [reply, key](const KeyTreeValue &value) {
            if (value.error.isError())
                reply(etcdFault(value.error));
            else if (!value.found)
                reply(FeedReply::error(404, QStringLiteral("no key %1").arg(key)));
            else
                reply({200, value.toJson()});
        });
    };
}

} // namespace FeedApi

bool KeyScope::contains(const QString &key) const
{
    return std::any_of(roots.begin(), roots.end(),
                       [&key](const QString &root) { return key.startsWith(root); });
}

bool KeyScope::leadsTo(const QString &prefix) const
{
    return std::any_of(roots.begin(), roots.end(), [&prefix](const QString &root) {
        return root.startsWith(prefix) && root != prefix;
    });
}

QString KeyScope::describe() const
{
    return roots.join(QLatin1String(" and "));
}
