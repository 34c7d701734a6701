#pragma once

#include "cluster/ClusterState.h"

#include <QAbstractListModel>
#include <QMap>
#include <QPointer>
#include <algorithm>
#include <utility>

class UpdateBatcher;

// Where a service ended up since the last batch: its record now, or removed (record = the last
// one seen). One per etcd key, however often it changed in between.
struct ServiceChange {
    ServiceRecord record;
    bool removed = false;
};

// Base of the dashboard's list models over a ClusterState: the `cluster` they read, their
// status and errorString (mirrored from the cluster, so a view can always say why it is empty or
// stale), and a batcher that turns bursts of cluster signals into one refresh() per interval.
class ClusterListModel : public QAbstractListModel {
    Q_OBJECT
    Q_PROPERTY(ClusterState *cluster READ cluster WRITE setCluster NOTIFY clusterChanged)
    Q_PROPERTY(ClusterState::Status status READ status NOTIFY statusChanged)
    Q_PROPERTY(QString statusName READ statusName NOTIFY statusChanged)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorStringChanged)
    Q_PROPERTY(int count READ count NOTIFY countChanged)
    // False while no view shows the rows: changes are noted but not applied, so a hidden view
    // costs the GUI thread nothing; set true again, the rows catch up within one batch.
    Q_PROPERTY(bool active READ isActive WRITE setActive NOTIFY activeChanged)
public:
    explicit ClusterListModel(QObject *parent = nullptr);
    ~ClusterListModel() override;

    ClusterState *cluster() const { return m_cluster; }
    void setCluster(ClusterState *cluster);
    ClusterState::Status status() const { return m_status; }
    QString statusName() const { return statusName(m_status); }
    QString errorString() const { return m_errorString; }
    int count() const { return rowCount(); }
    UpdateBatcher *batcher() const { return m_batcher; }
    // The most service changes one batch applies (a few ms with 10k rows); a larger burst takes
    // several batches, one per turn of the event loop, so frames are drawn in between.
    static constexpr qsizetype MaxChangesPerBatch = 64;
    bool isActive() const;
    void setActive(bool active);

    // Applies every pending change now instead of at the next batch (tests, user actions).
    Q_INVOKABLE void flush();

    static QString statusName(ClusterState::Status status); // "ready", "connecting", ...

    // The hooks applySortedDiff calls.
    void beginRemoveRowsFor(int first, int last) { beginRemoveRows({}, first, last); }
    void endRemoveRowsFor() { endRemoveRows(); }
    void beginInsertRowsFor(int first, int last) { beginInsertRows({}, first, last); }
    void endInsertRowsFor() { endInsertRows(); }
    void rowChanged(int row) { Q_EMIT dataChanged(index(row), index(row)); }
    // applyRowChanges' hook once `row` holds `now` instead of `was`; a model may say which
    // columns or roles changed (ServiceTableModel does).
    template <typename Row> void rowReplaced(int row, const Row &was, const Row &now)
    {
        Q_UNUSED(was);
        Q_UNUSED(now);
        rowChanged(row);
    }

Q_SIGNALS:
    void clusterChanged();
    void statusChanged();
    void errorStringChanged();
    void countChanged();
    void activeChanged();

protected:
    // Brings the rows up to date with the cluster using row inserts, removals and dataChanged.
    virtual void refresh() = 0;
    // The cluster was replaced: load everything again (the only full reset these models do).
    virtual void reload() = 0;
    // Connects the cluster signals this model listens to; by default all change signals.
    virtual void watch(ClusterState *cluster);
    void scheduleRefresh();
    // Models that update their rows from the changed services alone (instead of re-reading all
    // of them for every batch, which costs O(n log n) per batch at 10k services) turn this on in
    // their constructor and call takeServiceChanges() in refresh().
    void setTracksServiceChanges(bool on) { m_tracksServiceChanges = on; }
    // At most `max` of them (any order; one per key) when max >= 0 and there are rows; the rest
    // follow in the next batch.
    QList<ServiceChange> takeServiceChanges(qsizetype max = -1);

private:
    void syncStatus();
    void noteService(const ServiceRecord &record, bool removed);

    QPointer<ClusterState> m_cluster;
    bool m_tracksServiceChanges = false;
    // By etcd key, in order: a batch that takes only part of them takes neighbouring rows, which
    // the views insert as one run.
    QMap<QString, ServiceChange> m_serviceChanges;
    ClusterState::Status m_status = ClusterState::Status::Disconnected;
    QString m_errorString;
    UpdateBatcher *m_batcher;
    int m_lastCount = 0;
};

// Applies `changes` (each {row, removed}, one per key, any order) to `rows`, sorted by `less`,
// which must tell rows of different keys apart: a binary search per change, then row inserts,
// removals or dataChanged, with new rows that land side by side inserted as one run (and
// neighbours removed as one run). A batch of k changes costs O(k log n) comparisons plus the row
// moves, instead of a walk comparing all n rows.
template <typename Row, typename Less, typename Same, typename Model>
void applyRowChanges(Model *model, QList<Row> &rows, QList<std::pair<Row, bool>> changes, Less less,
                     Same same)
{
    std::sort(changes.begin(), changes.end(),
              [&](const auto &a, const auto &b) { return less(a.first, b.first); });
    qsizetype from = 0; // rows before it come before every change still to apply
    qsizetype c = 0;
    while (c < changes.size()) {
        const Row &row = changes.at(c).first;
        const qsizetype i =
            std::lower_bound(rows.begin() + from, rows.end(), row, less) - rows.begin();
        const bool found = i < rows.size() && !less(row, rows.at(i));
        qsizetype d = c + 1;
        if (changes.at(c).second) {
            if (found) {
                qsizetype end = i + 1;
                while (d < changes.size() && changes.at(d).second && end < rows.size() &&
                       !less(changes.at(d).first, rows.at(end)) &&
                       !less(rows.at(end), changes.at(d).first)) {
                    ++end;
                    ++d;
                }
                model->beginRemoveRowsFor(int(i), int(end - 1));
                rows.remove(i, end - i);
                model->endRemoveRowsFor();
            }
            from = i;
        } else if (found) {
            if (!same(rows.at(i), row)) {
                const Row was = std::exchange(rows[i], row);
                model->rowReplaced(int(i), was, rows.at(i));
            }
            from = i + 1;
        } else {
            while (d < changes.size() && !changes.at(d).second &&
                   (i == rows.size() || less(changes.at(d).first, rows.at(i))))
                ++d;
            model->beginInsertRowsFor(int(i), int(i + d - c - 1));
            for (qsizetype k = c; k < d; ++k)
                rows.insert(i + (k - c), changes.at(k).first);
            model->endInsertRowsFor();
            from = i + (d - c);
        }
        c = d;
    }
}

// Walks two lists sorted by `less` and turns `rows` into `next` with row removals, inserts and
// dataChanged on `model`, so views keep their scroll position and selection.
template <typename Row, typename Less, typename Same, typename Model>
void applySortedDiff(Model *model, QList<Row> &rows, const QList<Row> &next, Less less, Same same)
{
    qsizetype i = 0, j = 0;
    while (i < rows.size() && j < next.size()) {
        if (less(rows.at(i), next.at(j))) {
            qsizetype end = i + 1; // a run of rows that are gone
            while (end < rows.size() && less(rows.at(end), next.at(j)))
                ++end;
            model->beginRemoveRowsFor(int(i), int(end - 1));
            rows.remove(i, end - i);
            model->endRemoveRowsFor();
        } else if (less(next.at(j), rows.at(i))) {
            qsizetype end = j + 1; // a run of new rows
            while (end < next.size() && less(next.at(end), rows.at(i)))
                ++end;
            model->beginInsertRowsFor(int(i), int(i + end - j - 1));
            for (qsizetype k = j; k < end; ++k)
                rows.insert(i + (k - j), next.at(k));
            model->endInsertRowsFor();
            i += end - j;
            j = end;
        } else {
            if (!same(rows.at(i), next.at(j))) {
                rows[i] = next.at(j);
                model->rowChanged(int(i));
            }
            ++i;
            ++j;
        }
    }
    if (i < rows.size()) {
        model->beginRemoveRowsFor(int(i), int(rows.size() - 1));
        rows.remove(i, rows.size() - i);
        model->endRemoveRowsFor();
    }
    if (j < next.size()) {
        model->beginInsertRowsFor(int(rows.size()), int(rows.size() + next.size() - j - 1));
        for (qsizetype k = j; k < next.size(); ++k)
            rows.append(next.at(k));
        model->endInsertRowsFor();
    }
}
