#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

// The server side of RFC 6455 framing, strict and bounded: what the feed needs and nothing else
// (no extensions, no subprotocols). Pure code with no socket, so it can be tested and fuzzed.
namespace WebSocketFrames {

enum class Opcode : quint8 {
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA
};

// Close codes the reader and the feed use (RFC 6455, 7.4.1).
enum CloseCode : quint16 {
    CloseNormal = 1000,
    CloseGoingAway = 1001,
    CloseProtocolError = 1002,
    CloseUnsupportedData = 1003,
    CloseNoStatus = 1005, // never sent: a close frame without a code
    CloseInvalidPayload = 1007,
    ClosePolicyViolation = 1008,
    CloseTooBig = 1009,
    CloseTryAgainLater = 1013
};

// The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key.
QByteArray acceptKey(QByteArrayView clientKey);
// A client key is valid when it is the base64 of exactly 16 bytes.
bool isValidClientKey(QByteArrayView clientKey);

// The header of one unmasked server frame (FIN set) with a payload of `length` bytes, so a
// large payload can be written after it without a copy.
QByteArray frameHeader(Opcode opcode, quint64 length);
// One unmasked server frame (FIN set). Control payloads are cut to 125 bytes.
QByteArray frame(Opcode opcode, QByteArrayView payload);
// A close frame: the code, then the reason cut to fit 123 bytes on a UTF-8 boundary.
QByteArray closeFrame(quint16 code, const QString &reason);

// One thing the reader delivers: a whole data message (fragments joined; Text checked to be
// UTF-8) or a control frame (Ping, Pong, Close, each at most 125 bytes).
struct Message {
    Opcode opcode = Opcode::Text;
    QByteArray payload;
    // Close only: the peer's code (CloseNoStatus when it sent none) and its reason.
    quint16 closeCode = CloseNoStatus;
    QString closeReason;
};

// Reads frames from a client. Refuses, with the close code to send: unmasked frames, RSV bits,
// unknown opcodes, fragmented or over-long control frames, a continuation with nothing to
// continue or a new message inside a fragmented one, lengths not in their shortest form or
// with the top bit set (1002); a message over maxMessageBytes (1009), counted from its frame
// headers before any payload is held; Text or a close reason that is not UTF-8 (1007); a close
// frame with a 1-byte payload or a code that may not be sent (1002). It holds at most one
// frame header, maxMessageBytes of message and one control payload.
class Reader {
public:
    explicit Reader(qsizetype maxMessageBytes = 1024) : m_maxMessageBytes(maxMessageBytes) {}

    // Consumes all of `data`, appending what completes to `out`. Returns false once failed;
    // after a Close message or a failure it takes nothing more.
    bool feed(QByteArrayView data, QList<Message> *out);

    bool hasError() const { return m_errorCode != 0; }
    quint16 errorCode() const { return m_errorCode; }
    QString errorString() const { return m_error; } // fits a close frame's reason
    bool closed() const { return m_closed; }        // a Close message was delivered
    // Bytes held now (a partial header, a message being assembled, a control payload).
    qsizetype bufferedBytes() const { return m_header.size() + m_message.size() + m_frame.size(); }

private:
    bool fail(quint16 code, const QString &reason);
    bool headerDone(QList<Message> *out);
    bool frameDone(QList<Message> *out);

    qsizetype m_maxMessageBytes;
    quint16 m_errorCode = 0;
    QString m_error;
    bool m_closed = false;

    QByteArray m_header; // the current frame's header, up to 14 bytes
    qsizetype m_headerNeed = 2;
    bool m_fin = false;
    Opcode m_opcode = Opcode::Text;
    quint64 m_payloadLength = 0;
    unsigned char m_mask[4] = {0, 0, 0, 0};
    QByteArray m_frame;       // the current frame's unmasked payload so far
    bool m_inMessage = false; // a fragmented data message is open
    Opcode m_messageOpcode = Opcode::Text;
    QByteArray m_message; // data fragments joined so far
};

} // namespace WebSocketFrames
