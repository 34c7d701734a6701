#include "cluster/KeyTree.h"

#include <QJsonArray>
#include <algorithm>

namespace {
constexpr int MaxTxnOps = 100; // etcd's default --max-txn-ops is 128
}

QJsonObject KeyTreeEntry::toJson() const
{
    QJsonObject o{{QStringLiteral("name"), name},
                  {QStringLiteral("key"), QString::fromUtf8(key)},
                  {QStringLiteral("dir"), dir}};
    if (!dir && size >= 0)
        o.insert(QStringLiteral("size"), size);
    return o;
}

QJsonObject KeyTreePage::toJson() const
{
    QJsonArray list;
    for (const KeyTreeEntry &e : children)
        list.append(e.toJson());
    QJsonObject o{{QStringLiteral("prefix"), QString::fromUtf8(prefix)},
                  {QStringLiteral("revision"), revision},
                  {QStringLiteral("children"), list},
                  {QStringLiteral("more"), more}};
    if (more)
        o.insert(QStringLiteral("next"), QString::fromUtf8(next));
    return o;
}

QJsonObject KeyTreeValue::toJson() const
{
    return {{QStringLiteral("key"), QString::fromUtf8(kv.key)},
            {QStringLiteral("value"), QString::fromUtf8(kv.value)},
            {QStringLiteral("createRevision"), kv.createRevision},
            {QStringLiteral("modRevision"), kv.modRevision},
            {QStringLiteral("version"), kv.version},
            {QStringLiteral("lease"), QString::number(kv.lease)}};
}

struct KeyTree::Job {
    QByteArray prefix;
    QByteArray end;    // range_end of the whole prefix
    QByteArray cursor; // where the next range starts
    // A narrower range_end guessed from the last directory's name (see step()); empty: `end`.
    QByteArray window;
    bool lastGuessMissed = false;
    int limit = KeyTree::DefaultLimit;
    KeyTreePage page;
    QPointer<QObject> context;
    bool hasContext = false;
    PageCallback callback;
};

KeyTree::KeyTree(EtcdClient *client, QObject *parent) : QObject(parent), m_client(client) {}

QByteArray KeyTree::startAfter(const QByteArray &prefix, const QByteArray &after)
{
    const QByteArray first = prefix.isEmpty() ? QByteArray(1, '\0') : prefix;
    if (after.isEmpty())
        return first;
    // A directory's key ends in '/': skip its whole subtree. A leaf: the next possible key.
    const QByteArray start = after.size() > prefix.size() && after.endsWith('/')
                                 ? EtcdClient::prefixRangeEnd(after)
                                 : after + '\0';
    return std::max(start, first);
}

void KeyTree::list(const QByteArray &prefix, const QByteArray &after, int limit, QObject *context,
                   PageCallback callback)
{
    auto job = std::make_shared<Job>();
    job->prefix = prefix;
    job->end = EtcdClient::prefixRangeEnd(prefix);
    job->cursor = startAfter(prefix, after);
    job->limit = std::clamp(limit, 1, MaxLimit);
    job->page.prefix = prefix;
    job->context = context;
    job->hasContext = context != nullptr;
    job->callback = std::move(callback);
    if (!m_client) {
        job->page.error = {EtcdError::Kind::Config, 0, 0, QStringLiteral("no etcd client")};
        QMetaObject::invokeMethod(
            this, [this, job] { finish(job); }, Qt::QueuedConnection);
        return;
    }
    step(job);
}

void KeyTree::step(const std::shared_ptr<Job> &job)
{
    KeyTreePage &page = job->page;
    // One child more than the page holds tells whether there is a next page.
    const int want = job->limit + 1 - int(page.children.size());
    QJsonObject body{{QStringLiteral("key"), EtcdClient::encode(job->cursor)},
                     {QStringLiteral("range_end"),
                      EtcdClient::encode(job->window.isEmpty() ? job->end : job->window)},
                     {QStringLiteral("limit"), std::max(1, want)},
                     {QStringLiteral("keys_only"), true}};
    if (page.revision > 0)
        body.insert(QStringLiteral("revision"), QString::number(page.revision));
    ++page.requests;
    m_client->post(QStringLiteral("/v3/kv/range"), body, this, [this, job](const EtcdResponse &r) {
        KeyTreePage &page = job->page;
        if (r.error.isError()) {
            page.error = r.error;
            return finish(job);
        }
        if (page.revision == 0)
            page.revision = EtcdClient::int64(
                r.json.value(QLatin1String("header")).toObject().value(QLatin1String("revision")));
        const QList<EtcdKeyValue> kvs = EtcdClient::keyValues(r.json);
        QByteArray openDir; // the directory the last key fell in, if any
        for (const EtcdKeyValue &kv : kvs) {
            if (!openDir.isEmpty() && kv.key.startsWith(openDir))
                continue; // more of a directory already listed
            openDir.clear();
            const QByteArray rest = kv.key.mid(job->prefix.size());
            if (rest.isEmpty())
                continue; // the prefix itself
            KeyTreeEntry e;
            const int slash = rest.indexOf('/');
            if (slash >= 0) {
                e.dir = true;
                e.key = job->prefix + rest.left(slash + 1);
                e.name = QString::fromUtf8(rest.left(slash));
                openDir = e.key;
            } else {
                e.key = kv.key;
                e.name = QString::fromUtf8(rest);
            }
            page.children.append(e);
            if (page.children.size() > job->limit)
                break;
        }
        if (page.children.size() > job->limit) {
            page.children.resize(job->limit);
            page.more = true;
            page.next = page.children.last().key;
        } else if (!kvs.isEmpty() && r.json.value(QLatin1String("more")).toBool()) {
            // Continue after the last key read, or past the directory it opened.
            job->cursor =
                !openDir.isEmpty() ? EtcdClient::prefixRangeEnd(openDir) : kvs.last().key + '\0';
            guessWindow(job, openDir);
            return step(job);
        } else if (!job->window.isEmpty()) {
            // The guessed window is exhausted: go on with the rest of the prefix.
            job->lastGuessMissed = kvs.isEmpty();
            job->cursor = job->window;
            job->window.clear();
            guessWindow(job, openDir);
            return step(job);
        }
        if (m_leafSizes)
            readSizes(job, 0);
        else
            finish(job);
    });
}

// etcd 3.4 answers a range in time proportional to all the keys between key and range_end (it
// counts them), whatever the limit. After a directory like ".../core-07/", its siblings are
// likely named alike, so the next range first covers only names sharing all but the last
// character (".../core-0"); only when that window is empty does a range run to the end of the
// prefix. After a miss the next directory skips the guess, so unlike names cost at most half a
// request more per directory.
void KeyTree::guessWindow(const std::shared_ptr<Job> &job, const QByteArray &dir)
{
    if (dir.isEmpty())
        return;
    job->window.clear();
    const QByteArray name = dir.mid(job->prefix.size()).chopped(1);
    if (job->lastGuessMissed || name.size() < 2) {
        job->lastGuessMissed = false;
        return;
    }
    const QByteArray end = EtcdClient::prefixRangeEnd(job->prefix + name.chopped(1));
    if (end > job->cursor && (job->end == QByteArray(1, '\0') || end < job->end))
        job->window = end;
}

// Values of the page's leaves, read in one transaction per MaxTxnOps leaves at the page's
// revision; only their lengths are kept.
void KeyTree::readSizes(const std::shared_ptr<Job> &job, int from)
{
    KeyTreePage &page = job->page;
    QJsonArray ops;
    QList<int> indexes;
    int i = from;
    for (; i < page.children.size() && ops.size() < MaxTxnOps; ++i) {
        const KeyTreeEntry &e = page.children.at(i);
        if (e.dir)
            continue;
        ops.append(QJsonObject{
            {QStringLiteral("request_range"),
             QJsonObject{{QStringLiteral("key"), EtcdClient::encode(e.key)},
                         {QStringLiteral("revision"), QString::number(page.revision)}}}});
        indexes.append(i);
    }
    if (ops.isEmpty())
        return finish(job);
    ++page.requests;
    m_client->txn(
        {{QStringLiteral("success"), ops}}, this, [this, job, indexes, i](const EtcdResponse &r) {
            KeyTreePage &page = job->page;
            if (r.error.isError()) {
                page.error = r.error;
                return finish(job);
            }
            const QJsonArray responses = r.json.value(QLatin1String("responses")).toArray();
            for (int n = 0; n < indexes.size() && n < responses.size(); ++n) {
                const QList<EtcdKeyValue> kvs = EtcdClient::keyValues(
                    responses.at(n).toObject().value(QLatin1String("response_range")).toObject());
                if (!kvs.isEmpty())
                    page.children[indexes.at(n)].size = kvs.first().value.size();
            }
            readSizes(job, i);
        });
}

void KeyTree::finish(const std::shared_ptr<Job> &job)
{
    if (job->hasContext && !job->context)
        return;
    if (job->callback)
        job->callback(job->page);
}

void KeyTree::get(const QByteArray &key, QObject *context, ValueCallback callback)
{
    QPointer<QObject> ctx = context;
    const bool hasContext = context != nullptr;
    if (!m_client)
        return;
    m_client->range(key, {}, this, [key, ctx, hasContext, callback](const EtcdResponse &r) {
        if (hasContext && !ctx)
            return;
        KeyTreeValue v;
        v.kv.key = key;
        v.error = r.error;
        if (!r.error.isError()) {
            v.revision = EtcdClient::int64(
                r.json.value(QLatin1String("header")).toObject().value(QLatin1String("revision")));
            const QList<EtcdKeyValue> kvs = EtcdClient::keyValues(r.json);
            if (!kvs.isEmpty()) {
                v.found = true;
                v.kv = kvs.first();
            }
        }
        if (callback)
            callback(v);
    });
}
