#pragma once

#include <QString>
#include <QtGlobal>

// An exponential retry delay with a cap. Only the owner's idea of full success resets it: a
// partial success (the event stream opens, the container list is still refused) must not.
class RetryBackoff {
public:
    RetryBackoff(int firstMs, int capMs) : m_firstMs(firstMs), m_capMs(capMs) {}

    // The delay before the next attempt: first, then doubling up to the cap.
    int next()
    {
        m_ms = m_ms == 0 ? m_firstMs : qMin(m_ms * 2, m_capMs);
        return m_ms;
    }
    int current() const { return m_ms; }
    bool active() const { return m_ms != 0; }
    int cap() const { return m_capMs; }
    void reset() { m_ms = 0; }

private:
    int m_firstMs;
    int m_capMs;
    int m_ms = 0;
};

// Remembers the fault last logged, so the same fault repeating at every retry is logged once.
class FaultNotice {
public:
    // True when this fault differs from the one last reported (the caller logs it).
    bool report(const QString &fault)
    {
        if (fault == m_fault)
            return false;
        m_fault = fault;
        return true;
    }
    // True when a fault had been reported (the caller logs that it cleared).
    bool clear()
    {
        const bool had = !m_fault.isEmpty();
        m_fault.clear();
        return had;
    }
    bool isActive() const { return !m_fault.isEmpty(); }

private:
    QString m_fault;
};
