#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <QUrlQuery>
#include <functional>

class ClusterState;
class KeyTree;
class QObject;

// An HTTP answer of the JSON API: a status and a JSON body ({"error": "..."} on failure).
struct FeedReply {
    int status = 200;
    QJsonObject body;

    static FeedReply error(int status, const QString &message);
};
using FeedReplyCallback = std::function<void(const FeedReply &)>;

// One page of the etcd key tree, as asked for by GET /api/v1/tree (already validated).
struct KeyTreeQuery {
    QString prefix;
    int limit = 100;
    QString after;
};

// The tree endpoints are answered by whoever can read etcd; the feed only validates and relays.
// A provider answers exactly once, possibly later, with the page or key object of docs/feed.md.
using KeyTreeProvider = std::function<void(const KeyTreeQuery &, FeedReplyCallback)>;
using KeyValueProvider = std::function<void(const QString &key, FeedReplyCallback)>;

// The parts of the keyspace the tree endpoints may show: the subtrees under `roots` (each ending
// in '/'), and the directories leading to them. Empty roots: every key (tests, tools).
struct KeyScope {
    QStringList roots;

    bool allowsAll() const { return roots.isEmpty(); }
    bool contains(const QString &key) const;   // under one of the roots
    bool leadsTo(const QString &prefix) const; // a proper ancestor of a root, e.g. "/"
    QString describe() const;                  // "/services/ and /portolan/"
};

// The read-only JSON endpoints of docs/feed.md, computed from the cluster picture.
namespace FeedApi {

QJsonObject snapshot(const ClusterState &state);
QJsonObject hosts(const ClusterState &state);
FeedReply services(const ClusterState &state, const QUrlQuery &query); // ?host=H&name=N
FeedReply events(const ClusterState &state, const QUrlQuery &query);   // ?after=SEQ
// Validates ?prefix=P&limit=N&after=K; on failure `error` holds the 400 reply.
bool treeQuery(const QUrlQuery &query, KeyTreeQuery *out, FeedReply *error);

// The tree endpoints answered by the cluster's KeyTree: 404 for a missing key, 504 when etcd
// timed out, 502 for any other etcd fault, 403 outside `scope`. A prefix leading to the roots
// lists just the directories towards them, at the cluster picture's revision, without etcd.
// Answers are dropped once `context` is gone.
KeyTreeProvider keyTreeProvider(KeyTree *tree, QObject *context, KeyScope scope = {},
                                const ClusterState *state = nullptr);
KeyValueProvider keyValueProvider(KeyTree *tree, QObject *context, KeyScope scope = {});

} // namespace FeedApi
