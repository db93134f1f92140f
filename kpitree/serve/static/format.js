/* Numbers as kpitree's terminal tables show them (kpitree/present/numbers.py), so the page and
   the CLI read alike: thousands separators, fractions in a "%" unit as percentages. */
"use strict";
window.KT = window.KT || {};

(function (KT) {
  const PERCENT_UNITS = ["%", "percent"];

  function grouped(value, decimals) {
    return value.toLocaleString("en-US", {
      minimumFractionDigits: decimals,
      maximumFractionDigits: decimals,
    });
  }

  function rateDecimals(percent) {
    if (percent === 0 || !isFinite(percent)) return 1;
    return Math.min(Math.max(3 - 1 - Math.floor(Math.log10(Math.abs(percent))), 1), 6);
  }

  /* 1234567.8 -> "1,234,568"; 0.153 in unit "%" -> "15.3 %"; 0.0251 -> "0.0251". */
  function number(value, unit) {
    if (value === null || value === undefined || Number.isNaN(value)) return "-";
    if (!isFinite(value)) return value > 0 ? "inf" : "-inf";
    if (PERCENT_UNITS.includes(unit)) {
      const percent = value * 100;
      let text = grouped(percent, rateDecimals(percent));
      if (text.includes(".")) text = text.replace(/0+$/, "");
      return text.endsWith(".") ? text + "0 %" : text + " %";
    }
    const magnitude = Math.abs(value);
    if (magnitude >= 1000) return grouped(value, 0);
    if (magnitude >= 1 || value === 0) {
      return grouped(value, 2).replace(/\.?0+$/, "");
    }
    return String(Number(value.toPrecision(4)));
  }

  /* A relative change: 0.0523 -> "+5.2 %". */
  function percentChange(fraction) {
    if (fraction === null || fraction === undefined || Number.isNaN(fraction)) return "-";
    if (!isFinite(fraction)) return fraction > 0 ? "+inf" : "-inf";
    const text = grouped(fraction * 100, 1);
    return (fraction > 0 ? "+" : "") + text + " %";
  }

  /* Short form for headlines and axes: 1.4e9 -> "1.4 bn", 2.5e6 -> "2.5 M". */
  function short(value, unit) {
    if (value === null || value === undefined || !isFinite(value)) return number(value, unit);
    if (PERCENT_UNITS.includes(unit)) return number(value, unit);
    const magnitude = Math.abs(value);
    const steps = [[1e12, " tn"], [1e9, " bn"], [1e6, " M"], [1e3, " k"]];
    for (const [size, suffix] of steps) {
      if (magnitude >= size) {
        return String(Number((value / size).toPrecision(3))) + suffix;
      }
    }
    return number(value, unit);
  }

  /* A value for an editable field: no separators, enough digits to read back the same. */
  function editable(value) {
    if (value === null || value === undefined || !isFinite(value)) return "";
    return String(Number(value.toPrecision(8)));
  }

  KT.format = { number, percentChange, short, editable, PERCENT_UNITS };
})(window.KT);
