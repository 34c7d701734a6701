#pragma once

// Shared by the WebSocketFrames tests (tst_websocketframes_writer, _reads, _refuses).
// Header-only: client frame builders and the piecewise feeder.

#include "http/WebSocketFrames.h"

#include <QList>

using namespace WebSocketFrames;

enum : quint8 { Fin = 0x80, Rsv1 = 0x40, Rsv2 = 0x20, Rsv3 = 0x10 };
enum LengthForm { Shortest, Len16, Len64 };

// A masked client frame. `first` is the whole first byte (FIN, RSV, opcode).
inline QByteArray clientFrame(quint8 first, QByteArrayView payload, LengthForm form = Shortest,
                              bool masked = true)
{
    const unsigned char mask[4] = {0x37, 0xfa, 0x21, 0x3d}; // RFC 6455 5.7
    const quint64 n = quint64(payload.size());
    const quint8 maskBit = masked ? 0x80 : 0;
    QByteArray out(1, char(first));
    if (form == Shortest && n < 126) {
        out += char(maskBit | n);
    } else if (form != Len64 && n <= 0xffff) {
        out += char(maskBit | 126);
        out += char(n >> 8);
        out += char(n & 0xff);
    } else {
        out += char(maskBit | 127);
        for (int shift = 56; shift >= 0; shift -= 8)
            out += char((n >> shift) & 0xff);
    }
    if (!masked)
        return out + payload.toByteArray();
    out.append(reinterpret_cast<const char *>(mask), 4);
    for (qsizetype i = 0; i < payload.size(); ++i)
        out += char(quint8(payload[i]) ^ mask[i % 4]);
    return out;
}

inline QByteArray fin(Opcode op, QByteArrayView payload = {})
{
    return clientFrame(Fin | quint8(op), payload);
}

inline QByteArray part(Opcode op, QByteArrayView payload)
{
    return clientFrame(quint8(op), payload);
}

inline QByteArray closePayload(quint16 code, QByteArrayView reason = {})
{
    QByteArray p;
    p += char(code >> 8);
    p += char(code & 0xff);
    return p + reason.toByteArray();
}

// Only a header announcing a 64-bit length, then the mask key.
inline QByteArray header64(quint8 first, quint64 length)
{
    QByteArray out(1, char(first));
    out += char(0x80 | 127);
    for (int shift = 56; shift >= 0; shift -= 8)
        out += char((length >> shift) & 0xff);
    return out + QByteArray(4, '\x11');
}

inline QByteArray hex(const char *spaced)
{
    return QByteArray::fromHex(QByteArray(spaced).replace(' ', ""));
}

// Feeds in pieces of `step` bytes (0: at once), checking the buffer bound after each piece.
inline QList<Message> feedAll(Reader &r, const QByteArray &raw, int step, qsizetype maxMessage)
{
    QList<Message> out;
    if (step <= 0) {
        r.feed(raw, &out);
        return out;
    }
    for (qsizetype i = 0; i < raw.size(); i += step) {
        r.feed(QByteArrayView(raw).sliced(i, qMin<qsizetype>(step, raw.size() - i)), &out);
        if (r.bufferedBytes() > 14 + maxMessage + 125)
            qFatal("reader holds %lld bytes", qlonglong(r.bufferedBytes()));
    }
    return out;
}

inline constexpr int Steps[] = {0, 1, 3};
