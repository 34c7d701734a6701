#pragma once

#include "etcd/EtcdClient.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>
#include <functional>
#include <memory>

// One child of a prefix in the key tree: a key ("leaf") or a directory holding more keys.
struct KeyTreeEntry {
    QString name;   // the segment after the prefix, without the trailing '/'
    QByteArray key; // full key; for a directory the prefix of its subtree, ending in '/'
    bool dir = false;
    qint64 size = -1; // value bytes of a leaf; -1 for directories or when sizes were not read

    QJsonObject toJson() const; // {"name","key","dir"[,"size"]}
};

// One page of children, as served by the feed at /api/v1/tree.
struct KeyTreePage {
    QByteArray prefix;
    qint64 revision = 0; // every range of the page was read at this revision
    QList<KeyTreeEntry> children;
    bool more = false; // there are children after this page
    QByteArray next;   // pass as `after` for the following page (the last child's key)
    int requests = 0;  // etcd requests it took (for diagnostics and tests)
    EtcdError error;

    QJsonObject toJson() const; // docs/feed.md "The key tree"
};

// One key with its metadata, as served by the feed at /api/v1/key.
struct KeyTreeValue {
    bool found = false;
    EtcdKeyValue kv; // kv.key is the requested key even when not found
    qint64 revision = 0;
    EtcdError error;

    QJsonObject toJson() const; // {"key","value","createRevision","modRevision","version","lease"}
};

// The etcd keyspace as a tree with '/' as the separator, read lazily and page by page.
//
// Listing a prefix asks etcd for keys only, a page's worth at a time, and groups them by their
// next segment. When a key shows a directory, the rest of that directory's subtree is skipped:
// the next range starts at the directory prefix with its last byte ('/') incremented. So a page
// costs about one request per directory on it, however many keys live below, and a 100k-key
// keyspace lists as fast as a small one. All ranges of one page are pinned to the revision of the
// first, so a page is a consistent picture. Leaf sizes come from one extra transaction that reads
// just the leaves on the page (turn off with setLeafSizes(false)).
//
// Callbacks run once, later, on this object's thread; not at all when `context` is destroyed.
// Keys and names are bytes; JSON output decodes them as UTF-8.
class KeyTree : public QObject {
    Q_OBJECT
public:
    static constexpr int DefaultLimit = 100;
    static constexpr int MaxLimit = 1000;

    using PageCallback = std::function<void(const KeyTreePage &)>;
    using ValueCallback = std::function<void(const KeyTreeValue &)>;

    explicit KeyTree(EtcdClient *client, QObject *parent = nullptr);

    // Children of `prefix` (normally ending in '/'; "" is the whole keyspace) that sort after
    // `after` (empty for the first page; else a previous page's `next`), at most `limit`
    // (clamped to 1..MaxLimit). A key equal to `prefix` itself is not its own child.
    void list(const QByteArray &prefix, const QByteArray &after, int limit, QObject *context,
              PageCallback callback);
    void get(const QByteArray &key, QObject *context, ValueCallback callback);

    bool leafSizes() const { return m_leafSizes; }
    void setLeafSizes(bool on) { m_leafSizes = on; }

    // Where listing resumes after `after` under `prefix` (no I/O; exposed for tests).
    static QByteArray startAfter(const QByteArray &prefix, const QByteArray &after);

private:
    struct Job;
    void step(const std::shared_ptr<Job> &job);
    void guessWindow(const std::shared_ptr<Job> &job, const QByteArray &dir);
    void readSizes(const std::shared_ptr<Job> &job, int from);
    void finish(const std::shared_ptr<Job> &job);

    QPointer<EtcdClient> m_client;
    bool m_leafSizes = true;
};
