#pragma once

#include <QDebug>
#include <QSet>
#include <QStringList>

// A container's notes (ports ignored, labels refused) are logged once per start: periodic
// resyncs would repeat them, but a container first seen by a resync (its start event lost to an
// over-long event line or a Docker restart) still gets them.
class StartNotes {
public:
    // A start event: always.
    void logStart(const QString &id, const QStringList &notes)
    {
        log(notes);
        m_noted.insert(id);
    }
    // A sync: only for containers not logged since their start.
    void logIfNew(const QString &id, const QStringList &notes)
    {
        if (!m_noted.contains(id))
            logStart(id, notes);
    }
    // A die event: a restart logs its notes again, as its first start did.
    void forget(const QString &id) { m_noted.remove(id); }
    // After a sync: forget the containers that are gone.
    void keepOnly(const QSet<QString> &ids) { m_noted.intersect(ids); }

private:
    static void log(const QStringList &notes)
    {
        for (const QString &note : notes)
            qInfo().noquote() << note;
    }

    QSet<QString> m_noted;
};
