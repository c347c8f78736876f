// Auctionmen DIY gavel — firmware for an ATmega32U4 (Leonardo, Pro Micro) or an Uno.
//
// A piezo disc (analog threshold) or a contact switch in the sound block. Sends the framed
// protocol of hardware/PROTOCOL.md over USB CDC serial at 115200 baud:
//   HELLO once at start, HEARTBEAT every 1 s, STRIKE (with sequence number) on each knock,
//   RELEASE when a contact switch opens again.
// The desktop debounces again and decides whether a strike hammers; this firmware only has to
// be honest about what the sensor did.
//
// Wiring
//   SENSOR_PIEZO:  piezo + to A0, piezo - to GND, 1 MOhm resistor across it (bleeds the charge),
//                  optionally a 5.1 V zener across it to protect the input.
//   SENSOR_SWITCH: contact between pin 2 and GND (internal pull-up; closed = LOW).

#include <Arduino.h>

// ---- configuration -----------------------------------------------------------------------
#define SENSOR_PIEZO 1
#define SENSOR_SWITCH 2
#ifndef SENSOR
#define SENSOR SENSOR_PIEZO
#endif

const uint16_t DEVICE_ID = 0x0001;        // change per gavel when a room has more than one
const char FIRMWARE[] = "gavel-fw 1.0";
const uint8_t PIEZO_PIN = A0;
const int PIEZO_THRESHOLD = 120;          // ADC counts (of 1023); raise if a table knock strikes
const uint8_t SWITCH_PIN = 2;
const uint16_t DEBOUNCE_MS = 30;          // switch must be stable this long
const uint16_t REARM_MS = 150;            // piezo ringing after a knock is ignored this long
const uint32_t HEARTBEAT_MS = 1000;

// ---- protocol (keep in sync with hardware/protocol.py) -----------------------------------
const uint8_t SOF = 0xA5;
const uint8_t EOF_BYTE = 0x5A;
const uint8_t T_HELLO = 0x01, T_HEARTBEAT = 0x02, T_STRIKE = 0x03, T_RELEASE = 0x04;
const uint8_t PROTOCOL_VERSION = 1;
const uint8_t FEATURE_SWITCH = 0x01, FEATURE_PIEZO = 0x02;
const uint8_t STRIKE_MAKE = 0x01;         // a RELEASE will follow
const uint8_t HB_HELD = 0x01;             // switch closed right now

uint16_t seq = 0;

// CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final xor.
// Test vector: "123456789" -> 0x29B1.
uint16_t crc16_update(uint16_t crc, uint8_t b) {
  crc ^= (uint16_t)b << 8;
  for (uint8_t i = 0; i < 8; i++) {
    crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
  }
  return crc;
}

// Build the whole frame first and write it with one Serial.write, so a frame leaves in one
// USB packet (the host sees it in one read; a partial frame on the wire means noise).
void sendFrame(uint8_t type, const uint8_t *payload, uint8_t len) {
  uint8_t buf[7 + 32 + 3];
  if (len > 32) return;
  seq++;  // wraps at 65535 -> 0; every frame type counts, so the host can count lost frames
  buf[0] = SOF;
  buf[1] = type;
  buf[2] = DEVICE_ID >> 8;
  buf[3] = DEVICE_ID & 0xFF;
  buf[4] = seq >> 8;
  buf[5] = seq & 0xFF;
  buf[6] = len;
  for (uint8_t i = 0; i < len; i++) buf[7 + i] = payload[i];
  uint16_t crc = 0xFFFF;
  for (uint8_t i = 1; i < 7 + len; i++) crc = crc16_update(crc, buf[i]);  // TYPE..PAYLOAD
  buf[7 + len] = crc >> 8;
  buf[8 + len] = crc & 0xFF;
  buf[9 + len] = EOF_BYTE;
  if (Serial.availableForWrite() < (int)(10 + len)) return;  // nobody reading: drop, never block
  Serial.write(buf, 10 + len);
}

void put32(uint8_t *p, uint32_t v) {
  p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

void sendHello() {
  uint8_t p[2 + sizeof(FIRMWARE)];
  p[0] = PROTOCOL_VERSION;
  p[1] = (SENSOR == SENSOR_SWITCH) ? FEATURE_SWITCH : FEATURE_PIEZO;
  uint8_t n = sizeof(FIRMWARE) - 1;  // without the terminating NUL
  memcpy(p + 2, FIRMWARE, n);
  sendFrame(T_HELLO, p, 2 + n);
}

void sendHeartbeat(bool held) {
  uint8_t p[5];
  put32(p, millis());
  p[4] = held ? HB_HELD : 0;
  sendFrame(T_HEARTBEAT, p, 5);
}

void sendStrike(uint16_t strength, bool make) {
  uint8_t p[7];
  put32(p, millis());
  p[4] = strength >> 8;
  p[5] = strength & 0xFF;
  p[6] = make ? STRIKE_MAKE : 0;
  sendFrame(T_STRIKE, p, 7);
}

void sendRelease() {
  uint8_t p[4];
  put32(p, millis());
  sendFrame(T_RELEASE, p, 4);
}

// ---- sensor state ------------------------------------------------------------------------
bool switchStable = false;      // debounced: true = closed
bool switchRaw = false;
uint32_t switchChangedAt = 0;
uint32_t lastKnockAt = 0;
uint32_t lastBeatAt = 0;

void setup() {
  pinMode(SWITCH_PIN, INPUT_PULLUP);
  Serial.begin(115200);  // on a 32U4 the baud is ignored (USB CDC); on an Uno it is the UART
  uint32_t t0 = millis();
  while (!Serial && millis() - t0 < 2000) {
    // 32U4: wait briefly for the host to open the port so HELLO is not lost
  }
  switchStable = switchRaw = (digitalRead(SWITCH_PIN) == LOW);
  sendHello();
  lastBeatAt = millis();
}

void pollSwitch(uint32_t now) {
  bool raw = digitalRead(SWITCH_PIN) == LOW;
  if (raw != switchRaw) {
    switchRaw = raw;
    switchChangedAt = now;
  }
  if (raw != switchStable && now - switchChangedAt >= DEBOUNCE_MS) {
    switchStable = raw;
    if (raw) sendStrike(0, true);   // make
    else sendRelease();             // break
  }
}

void pollPiezo(uint32_t now) {
  if (now - lastKnockAt < REARM_MS) return;  // the disc is still ringing
  int v = analogRead(PIEZO_PIN);
  if (v < PIEZO_THRESHOLD) return;
  // follow the peak for ~2 ms so strength means something
  int peak = v;
  uint32_t t = micros();
  while (micros() - t < 2000) {
    int s = analogRead(PIEZO_PIN);
    if (s > peak) peak = s;
  }
  lastKnockAt = now;
  sendStrike((uint16_t)peak, false);
}

void loop() {
  uint32_t now = millis();
#if SENSOR == SENSOR_SWITCH
  pollSwitch(now);
#else
  pollPiezo(now);
#endif
  if (now - lastBeatAt >= HEARTBEAT_MS) {
    lastBeatAt += HEARTBEAT_MS;
    if (now - lastBeatAt >= HEARTBEAT_MS) lastBeatAt = now;  // we fell behind: do not burst
    sendHeartbeat(SENSOR == SENSOR_SWITCH && switchStable);
  }
}
