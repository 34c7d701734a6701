#pragma once

#include "dashboard/ClusterListModel.h"

#include <QDateTime>

class QTimer;

// The live timeline, newest first. Filters by host, service and action; pause keeps collecting
// (pendingCount says how many wait) and resume shows them; clear hides everything so far.
// minuteCounts feeds the overview's events-per-minute chart.
class EventLogModel : public ClusterListModel {
    Q_OBJECT
    Q_PROPERTY(QString hostFilter READ hostFilter WRITE setHostFilter NOTIFY filterChanged)
    Q_PROPERTY(QString serviceFilter READ serviceFilter WRITE setServiceFilter NOTIFY filterChanged)
    Q_PROPERTY(QString actionFilter READ actionFilter WRITE setActionFilter NOTIFY filterChanged)
    Q_PROPERTY(bool paused READ isPaused WRITE setPaused NOTIFY pausedChanged)
    Q_PROPERTY(int pendingCount READ pendingCount NOTIFY pendingCountChanged)
    Q_PROPERTY(int totalCount READ totalCount NOTIFY countChanged)
    Q_PROPERTY(QVariantList minuteCounts READ minuteCounts NOTIFY minuteCountsChanged)
    Q_PROPERTY(int chartMinutes READ chartMinutes WRITE setChartMinutes NOTIFY minuteCountsChanged)
    Q_PROPERTY(QStringList actions READ actions CONSTANT)
public:
    enum Role {
        SeqRole = Qt::UserRole + 1,
        ActionRole,
        HostRole,
        ServiceRole,
        ServiceIdRole,
        AddressRole,
        RevisionRole,
        TimeRole,
        TimeTextRole, // local "HH:mm:ss" today, "MMM d HH:mm" before
    };
    Q_ENUM(Role)

    explicit EventLogModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    QString hostFilter() const { return m_hostFilter; }
    void setHostFilter(const QString &host);
    QString serviceFilter() const { return m_serviceFilter; }
    void setServiceFilter(const QString &service);
    QString actionFilter() const { return m_actionFilter; }
    void setActionFilter(const QString &action);
    bool isPaused() const { return m_paused; }
    void setPaused(bool paused);
    int pendingCount() const { return m_pendingCount; }
    int totalCount() const { return int(m_all.size()); }
    QVariantList minuteCounts() const;
    int chartMinutes() const { return m_chartMinutes; }
    void setChartMinutes(int minutes);
    QStringList actions() const;
    // The time column: "HH:mm:ss" for an event of today (local time), "MMM d HH:mm" before.
    static QString timeText(const QDateTime &time, const QDateTime &now);
    int rowLimit() const { return m_rowLimit; }
    void setRowLimit(int limit) { m_rowLimit = std::max(1, limit); }

    Q_INVOKABLE void pause() { setPaused(true); }
    Q_INVOKABLE void resume() { setPaused(false); }
    Q_INVOKABLE void clear(); // hides every event so far; new ones still arrive

Q_SIGNALS:
    void filterChanged();
    void pausedChanged();
    void pendingCountChanged();
    void minuteCountsChanged();

protected:
    void refresh() override;
    void reload() override;
    void watch(ClusterState *cluster) override;

private:
    bool matches(const ClusterEvent &e) const;
    void rebuild();
    void insertNewest(const QList<ClusterEvent> &events); // oldest first
    void setPendingCount(int n);

    QList<ClusterEvent> m_all;     // oldest first, bounded like the cluster's log
    QList<ClusterEvent> m_rows;    // newest first, filtered
    QList<ClusterEvent> m_arrived; // since the last flush
    QString m_hostFilter, m_serviceFilter, m_actionFilter;
    bool m_paused = false;
    quint64 m_shownUpTo = 0; // newest seq the rows may show (frozen while paused)
    quint64 m_clearedUpTo = 0;
    int m_pendingCount = 0;
    int m_rowLimit = 1000;
    int m_chartMinutes = 30;
    QTimer *m_minuteTimer;
};
